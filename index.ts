// Entry point for `pulumi up`: one environment per stack, from stacks/Pulumi.<stack>.yaml. Pulumi's
// Node.js runtime calls the default export and takes what it returns as the stack outputs (see
// components/program.ts, StackOutputs); the Automation API adapter's inline path calls the same function.
import { runProgram } from './components/program';

export default runProgram;
