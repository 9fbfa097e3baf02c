/**
 * Runs the seed scenarios on the gpujs backend (GPU.js kernels, host fallbacks per
 * docs/backends.md): root hooks that make gpujs active for every test loaded after this file.
 * Not part of `npm test` (the scenarios take ~30 s on GPU.js's webasm mode here); run it as
 *
 *   CI=true npx mocha test/scenarios/on-gpujs.ts test/scenarios/*.test.ts
 */
import { destroyGpu, gpujsStats, init, setBackend } from "@kiln/backend";

before(async () => {
  await init({ tune: false });
  destroyGpu(); // only GPU.js is used
  setBackend("gpujs");
});

after(() => {
  const { runs, hostKernels } = gpujsStats();
  console.log(`      gpujs: ${runs} GPU.js kernel runs; ${hostKernels} distinct kernels on the host`);
});
