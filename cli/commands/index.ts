/** Registers every chaosctl command on the program. Commands are thin: parse, wire, set process.exitCode. */
import type { Command } from 'commander';
import { register as registerCompare } from './compare.ts';
import { register as registerDoctor } from './doctor.ts';
import { register as registerImages } from './images.ts';
import { register as registerList } from './list.ts';
import { register as registerProve } from './prove.ts';
import { register as registerRun } from './run.ts';
import { register as registerStack } from './stack.ts';
import { register as registerValidate } from './validate.ts';

export function registerCommands(program: Command): void {
  registerRun(program);
  registerProve(program);
  registerValidate(program);
  registerList(program);
  registerCompare(program);
  registerStack(program);
  registerImages(program);
  registerDoctor(program);
}
