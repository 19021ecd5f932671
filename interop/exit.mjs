// Imported by every test file. Once a file's tests are over, anything that
// still holds the process is named on stderr, and the process ends with
// the runner's verdict 5 s later. Node 20.14+ has --test-force-exit for
// this (interop_test.go passes it); Debian 12's Node 18 does not, and once
// in four CI runs at load a file whose tests had all passed kept running
// until the suite's 3-minute deadline.
import { after } from 'node:test';

after(() => {
  setTimeout(() => {
    console.error('# still running 5 s after the tests:', process.getActiveResourcesInfo().join(', '));
    process.exit(process.exitCode ?? 0);
  }, 5000).unref();
});
