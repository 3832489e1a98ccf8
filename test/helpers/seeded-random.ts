/**
 * mulberry32, the seeded PRNG the benchmarks use for their query files (bench/fleet-data.ts): the
 * seed makes every fuzz run identical, so a failure reproduces. Tests may import benchmark code;
 * benchmarks never import tests, so the one copy lives there.
 */
export { seededRandom } from '../../bench/fleet-data.js';
