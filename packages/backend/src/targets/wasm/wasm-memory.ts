export * from "../../host/heap.js"; // moved: host/heap.ts (kept for branches written against this path; remove after merging them)
