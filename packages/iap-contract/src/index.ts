export * from './api';
export * from './catalog';
export * from './errors';
export * from './format';
export * from './partner';
export * from './periods';
export * from './sdk';
export * from './reference';
