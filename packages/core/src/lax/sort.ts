// lax: sort (filled in by issue 15).
export {};
