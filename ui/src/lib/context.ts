import { getContext, setContext } from 'svelte';
import type { Clock } from './clock.svelte';
import type { HeraldStore } from './store.svelte';

const KEY = Symbol('herald');

export interface HeraldContext {
  store: HeraldStore;
  clock: Clock;
}

export function provideHerald(ctx: HeraldContext): void {
  setContext(KEY, ctx);
}

export function useHerald(): HeraldContext {
  const ctx = getContext<HeraldContext | undefined>(KEY);
  if (!ctx) throw new Error('Herald context missing');
  return ctx;
}
