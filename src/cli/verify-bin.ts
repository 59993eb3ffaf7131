/**
 * Stand-alone entry of `kapu verify`: `node dist/src/cli/verify-bin.js
 * [options] DIR...` takes the same words as `kapu verify`.
 */
import { runVerifyCommand } from './verify-command.js';

process.exitCode = await runVerifyCommand(process.argv.slice(2));
