// `pnpm test:stress [COUNT] [VITEST ARGS...]`: runs the vitest suite COUNT times in a row (default 3)
// while another process keeps one CPU core busy, stopping at the first failing run. A test that
// leans on wall-clock timing fails here first.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HOG_FLAG = '--cpu-hog';
// The hog stops by itself after this long even if nobody stops it (one run takes a few minutes).
const HOG_MAX_MS = 20 * 60_000;

if (process.argv[2] === HOG_FLAG) {
  hog();
} else {
  await stress();
}

/** Spins in slices, yielding to the event loop in between so that it notices its parent going away. */
function hog(): void {
  const until = Date.now() + HOG_MAX_MS;
  process.on('disconnect', () => process.exit(0));
  const spin = () => {
    const sliceEnd = Date.now() + 50;
    while (Date.now() < sliceEnd) {
      // busy on purpose
    }
    if (Date.now() >= until || !process.connected) process.exit(0);
    setImmediate(spin);
  };
  spin();
}

async function stress(): Promise<void> {
  const [first, ...rest] = process.argv.slice(2);
  const countGiven = first !== undefined && /^\d+$/.test(first);
  const count = countGiven ? Number(first) : 3;
  const vitestArgs = countGiven ? rest : process.argv.slice(2);
  if (count < 1) {
    console.error('usage: pnpm test:stress [COUNT >= 1] [vitest arguments...]');
    process.exit(2);
  }

  let hogProcess: ChildProcess | undefined;
  let vitest: ChildProcess | undefined;
  const stopHog = () => {
    if (hogProcess && hogProcess.exitCode === null && hogProcess.signalCode === null) hogProcess.kill('SIGKILL');
  };
  process.on('exit', stopHog);
  let stoppedBy: number | undefined;
  for (const [signal, number] of [
    ['SIGHUP', 1],
    ['SIGINT', 2],
    ['SIGTERM', 15],
  ] as const) {
    process.on(signal, () => {
      stopHog();
      stoppedBy = 128 + number;
      if (!vitest || vitest.exitCode !== null || vitest.signalCode !== null) process.exit(stoppedBy);
      vitest.kill(signal);
      // Give vitest time to stop its workers and PostgreSQL; do not wait for ever.
      setTimeout(() => process.exit(stoppedBy), 15_000).unref();
    });
  }

  for (let run = 1; run <= count; run += 1) {
    console.log(`\ntest:stress: run ${run} of ${count}, with one core kept busy`);
    const started = Date.now();
    // IPC only, so that the hog learns when this process goes away, however it goes.
    hogProcess = spawn(process.execPath, [fileURLToPath(import.meta.url), HOG_FLAG], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    vitest = spawn('pnpm', ['vitest', ...vitestArgs], { stdio: 'inherit' });
    const code = await new Promise<number>((resolve) => {
      vitest!.on('error', (error) => {
        console.error(`test:stress: cannot start pnpm vitest: ${error.message}`);
        resolve(1);
      });
      vitest!.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
    });
    stopHog();
    if (stoppedBy !== undefined) process.exit(stoppedBy);
    const seconds = Math.round((Date.now() - started) / 1000);
    if (code !== 0) {
      console.error(
        `\ntest:stress: run ${run} of ${count} FAILED (exit code ${code}, ${seconds} s); ${run - 1} passed before it`,
      );
      process.exit(code);
    }
    console.log(`\ntest:stress: run ${run} of ${count} passed (${seconds} s)`);
  }
  console.log(`\ntest:stress: all ${count} runs passed`);
}
