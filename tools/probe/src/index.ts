export { type BlingProbeTarget, blingChecks } from "./bling-checks.js";
export { type Check, runChecks } from "./check.js";
export { type ProbeOptions, runProbe } from "./probe.js";
export { type ProbeReport, type ProbeRow, renderTable, summarize } from "./report.js";
export { startSimulatorTargets } from "./simulators.js";
export { type ZydonProbeTarget, zydonChecks } from "./zydon-checks.js";
