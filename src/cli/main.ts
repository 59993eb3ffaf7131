/**
 * Entry point of the `kapu` command: parses the command line and runs the
 * requested command. Returns the process exit status (0 success, 1 runtime
 * failure, 2 bad arguments or config).
 */
export async function main(argv: string[]): Promise<number> {
  process.stderr.write(`kapu: no command implemented yet (${argv.join(' ')})\n`);
  return 2;
}
