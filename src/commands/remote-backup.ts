/**
 * remote-backup list | download <id> [output|-] | upload <file> | delete <id>
 * (SPEC §3.5): the backupd client for admins and scripts. Non-2xx answers
 * exit 1 with the status; missing config exits 1.
 */
import type { Ctx } from "../platform/context";
import { argPath, pipeInto, saveStream } from "../platform/files";
import { NsPlugError, errorMessage } from "../platform/errors";
import { program, parse } from "./cli";
import { readNsPlugConfig } from "../config";
import { remoteTarget, type RemoteTarget } from "../backup/target";
import { deleteRemote, downloadRemote, listRaw, proxyUpload, uploadRemote } from "../backup/remote";
import { normaliseList } from "../backup/list";
import { baseName, safeFileName } from "../backup/ids";
import { parseJson } from "../platform/schema";

async function target(ctx: Ctx): Promise<RemoteTarget> {
  const { config } = await readNsPlugConfig(ctx);
  return remoteTarget(config, ctx.env);
}

async function list(ctx: Ctx, raw: boolean): Promise<void> {
  const t = await target(ctx);
  const text = await listRaw(ctx, t);
  if (raw) {
    ctx.print(text);
    return;
  }
  ctx.print(`${JSON.stringify(normaliseList(parseJson(text, "list backups: backupd answer")), null, 2)}\n`);
}

async function download(ctx: Ctx, id: string, output: string | undefined): Promise<void> {
  const t = await target(ctx);
  // Without an output, the file is named after the id — sanitised: the id is the server's word.
  const dest = output === "-" ? undefined : argPath(ctx.root, output ?? safeFileName(id));
  const res = await downloadRemote(ctx, t, id);
  try {
    if (dest === undefined) await pipeInto(res.body, ctx.stdout);
    else await saveStream(res.body, dest, 0o600);
  } catch (e) {
    throw new NsPlugError(1, `download ${id}: ${errorMessage(e)}`);
  }
}

async function upload(ctx: Ctx, file: string): Promise<void> {
  const t = await target(ctx);
  const real = argPath(ctx.root, file);
  const name = baseName(file);
  const answer = await uploadRemote(ctx, t, real, name);
  if (answer.trim() !== "") ctx.print(answer.endsWith("\n") ? answer : `${answer}\n`);
  await proxyUpload(ctx, t, real, name);
}

async function remove(ctx: Ctx, id: string): Promise<void> {
  const answer = await deleteRemote(ctx, await target(ctx), id);
  ctx.print(`${JSON.stringify(answer)}\n`);
}

export async function run(ctx: Ctx, args: string[]): Promise<number> {
  const cmd = program(ctx, "remote-backup", "Manage the configuration backups kept by the remote backup service.");
  const actions: Array<() => Promise<void>> = [];
  cmd
    .command("list")
    .description("print the backups as a JSON array, newest first (each with `file`)")
    .option("--raw", "print the server's answer unchanged")
    .action((o: { raw?: boolean }) => void actions.push(() => list(ctx, o.raw === true)));
  cmd
    .command("download")
    .description("download a backup to <output> (default: a file named after <id>), or to stdout with -")
    .argument("<id>", "backup id (`file` in the list)")
    .argument("[output]", "output file, or - for stdout")
    .action((id: string, output?: string) => void actions.push(() => download(ctx, id, output)));
  cmd
    .command("upload")
    .description("upload a backup file (streamed)")
    .argument("<file>", "file to upload; stored under its base name")
    .action((file: string) => void actions.push(() => upload(ctx, file)));
  cmd
    .command("delete")
    .description("delete a backup; prints the server's JSON answer")
    .argument("<id>", "backup id (`file` in the list)")
    .action((id: string) => void actions.push(() => remove(ctx, id)));
  // `remote-backup` alone lists, like the original.
  if (!(await parse(cmd, args.length ? args : ["list"]))) return 0;
  for (const a of actions) await a();
  return 0;
}
