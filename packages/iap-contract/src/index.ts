export * from './api';
export * from './catalog';
export * from './errors';
export * from './format';
export * from './partner';
export * from './periods';
export * from './reference';
export * from './sdk';
