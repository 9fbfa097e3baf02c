// lax: conv (filled in by issue 15).
export {};
