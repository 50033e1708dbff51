// Entry point for `pulumi up`: one environment per stack, from stacks/Pulumi.<stack>.yaml.
import { runProgram } from './components/program';

const outputs = runProgram();

export const target = outputs.target;
export const liveSlot = outputs.liveSlot;
export const idleSlot = outputs.idleSlot;
export const publicUrl = outputs.publicUrl;
export const testUrl = outputs.testUrl;
export const blueArtifact = outputs.blueArtifact;
export const blueVersion = outputs.blueVersion;
export const greenArtifact = outputs.greenArtifact;
export const greenVersion = outputs.greenVersion;
export const configHash = outputs.configHash;
export const alarmNames = outputs.alarmNames;
export const repositoryUrl = outputs.repositoryUrl;
