/** The model's public surface: the history checker (the oracle) for other implementations. */
export { checkHistory, checkLog, allowedAnomalyTypes, resolveOptions, EMPTY_HISTORY } from './history/check.ts';
export { checkHistoryFile, formatOf, type HistoryFormat } from './history/check-file.ts';
export { ANOMALY_SENTENCES, describeWitness, sentenceFor } from './history/explain.ts';
export { generateHistory, HistoryGenerator, type GenerateOptions } from './history/generate.ts';
export type * from './history/types.ts';
