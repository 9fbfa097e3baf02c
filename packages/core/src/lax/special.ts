// lax: special (filled in by issue 15).
export {};
