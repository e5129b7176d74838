import './provided-context.ts';
export * from './support.ts';
export { testContext } from './context.ts';
