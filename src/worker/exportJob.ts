/**
 * A short-lived process for "Export Training Job…": reads the data, learns the tokenisers and
 * writes the job (src/model/training/exportJob.ts) away from the extension host, which stays
 * responsive on large data. One request in over IPC, one reply out, then it exits.
 */
import { exportJob, type ExportJobOptions, type ExportJobResult } from '../model/training/exportJob';

export type ExportJobReply = { ok: true; result: ExportJobResult } | { ok: false; error: string };

process.once('message', (opts: ExportJobOptions) => {
  exportJob(opts).then(
    (result) => ({ ok: true, result }) as ExportJobReply,
    (e: Error) => ({ ok: false, error: e.message }) as ExportJobReply,
  ).then((reply) => process.send!(reply, () => process.exit(0)));
});
