// A ticking "now" for countdowns. One timer for the whole window.
export class Clock {
  now = $state(Date.now());
  #timer: ReturnType<typeof setInterval> | null = null;

  start(periodMs = 250): () => void {
    this.stop();
    this.now = Date.now();
    this.#timer = setInterval(() => (this.now = Date.now()), periodMs);
    return () => this.stop();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
