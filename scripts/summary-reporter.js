// A vitest reporter that ends the run with one plain line, "N passed, N failed[, N skipped]",
// which CI systems that do not know vitest can read.
export default class SummaryReporter {
  onFinished(files = []) {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const visit = (task) => {
      if (task.type === 'test') {
        const state = task.result?.state;
        if (state === 'pass') counts.passed++;
        else if (state === 'fail') counts.failed++;
        else counts.skipped++;
      }
      task.tasks?.forEach(visit);
    };
    files.forEach(visit);
    // A file that failed to load has no tests but must still count as a failure.
    counts.failed += files.filter((f) => f.result?.state === 'fail' && !f.tasks?.length).length;
    const skipped = counts.skipped ? `, ${counts.skipped} skipped` : '';
    console.log(`\nvitest: ${counts.passed} passed, ${counts.failed} failed${skipped}`);
  }
}
