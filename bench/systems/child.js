// The child-process side of a benchmark: each system runs in its own process so its peak RSS is
// its own. Usage: node <system>.js <train|predict|explain> <data.json> [sizes JSON]. The result goes to
// stdout as one `@@RESULT {json}` line, because upstream's tfjs prints banners and summaries.
import { readFileSync } from 'node:fs';
import { trainAndScore } from './train.js';
import { predictSpeed } from './predict.js';
import { explainSpeed } from './explain.js';

export const RESULT_MARK = '@@RESULT ';

export async function runChild({ MLPlugin, pluginOptions = {}, describe = () => ({}) }) {
  const [task, dataFile, sizesJson] = process.argv.slice(2);
  const data = JSON.parse(readFileSync(dataFile, 'utf8'));
  let result;
  if (task === 'train') result = await trainAndScore(MLPlugin, pluginOptions, data);
  else if (task === 'predict') result = await predictSpeed(MLPlugin, pluginOptions, data, JSON.parse(sizesJson));
  else if (task === 'explain') result = await explainSpeed(MLPlugin, pluginOptions, data, JSON.parse(sizesJson));
  else throw new Error(`unknown task ${JSON.stringify(task)}`);
  // maxRSS is in KiB: the whole process, data set and database included, as a user would see it.
  const usage = process.resourceUsage();
  const maxRssMb = usage.maxRSS / 1024;
  // CPU time of the whole process, so the orchestrator can tell what other processes used.
  const cpuS = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  process.stdout.write(`\n${RESULT_MARK}${JSON.stringify({ ...result, ...describe(), max_rss_mb: maxRssMb, cpu_s: cpuS })}\n`);
  // The upstream plugin and s3db.js may leave timers behind; the result is out, so leave now.
  process.exit(0);
}
