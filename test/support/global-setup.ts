/** Runs once before all test files (in the main vitest process, before workers start). */
export default async function setup(): Promise<void> {}
