/**
 * The weights a session switches between — the loaded model's (base), the last fine-tune's
 * (trained) and a running run's own (live) — kept as device-side copies beside the model's
 * parameter buffer, so switching is a device copy: an evaluation during training moves nothing
 * to or from the host. Host copies are taken only where they must outlive the device: the base
 * at load (fingerprint, recovery) and the trained weights when a run ends (saving, recovery).
 */
import type { DeviceMemory, Tensor } from '../engine/backend.ts';
import type { ParamStore } from '../engine/params.ts';
import type { WeightsState } from '../shared/events.ts';

/** What the model's buffer holds now; 'live' = a training run's weights. */
export type BufferContents = WeightsState | 'live';

export class WeightSlots {
  private readonly base: Tensor;
  private trained: Tensor | null = null;
  private live: Tensor | null = null;
  /** The trained weights on the host, once read (null while only the device has them). */
  private trainedHost: Float32Array | null = null;
  private hasTrainedSlot = false;
  private contents: BufferContents = 'base';
  /** The training step the trained weights were taken at. */
  trainedStep = 0;

  constructor(
    private readonly backend: DeviceMemory,
    private readonly store: ParamStore,
    /** The base weights as loaded: read once, before any training changed the buffer. */
    readonly baseHost: Float32Array,
  ) {
    this.base = this.slot(null);
    backend.copy(store.params, this.base);
  }

  get current(): BufferContents {
    return this.contents;
  }

  get hasTrained(): boolean {
    return this.hasTrainedSlot;
  }

  private slot(existing: Tensor | null): Tensor {
    return existing ?? this.backend.zeros([this.store.layout.totalSize], 'f32', true);
  }

  /** Shows base or trained weights in the model; a run's live weights are kept aside first. */
  use(state: WeightsState): void {
    if (state === this.contents) return;
    if (state === 'trained' && !this.hasTrainedSlot) throw new Error('there are no fine-tuned weights yet: train first');
    // A playground query during a paused run must not overwrite the run's weights.
    if (this.contents === 'live') {
      this.live = this.slot(this.live);
      this.backend.copy(this.store.params, this.live);
    }
    this.backend.copy(state === 'base' ? this.base : this.trained!, this.store.params);
    this.contents = state;
  }

  /** A run starts (or resumes) on whatever the buffer holds now: those are its live weights. */
  beginLive(): void {
    this.contents = 'live';
  }

  /** Puts a run's own weights back before its next step. */
  resumeLive(): void {
    if (this.contents === 'live') return;
    if (!this.live) throw new Error('the training run lost its weights');
    this.backend.copy(this.live, this.store.params);
    this.contents = 'live';
  }

  /** The run's weights now become the trained ones (an evaluation during a run, or its end): device only. */
  captureTrained(step: number): void {
    this.resumeLive();
    this.trained = this.slot(this.trained);
    this.backend.copy(this.store.params, this.trained);
    this.hasTrainedSlot = true;
    this.trainedHost = null;
    this.trainedStep = step;
  }

  /** Makes host weights (a saved run, a checkpoint) the trained ones. */
  setTrained(params: Float32Array, step: number): void {
    if (params.length !== this.store.layout.totalSize) throw new Error(`the saved weights have ${params.length} values; the loaded model has ${this.store.layout.totalSize}`);
    this.trained = this.slot(this.trained);
    this.backend.write(this.trained, params);
    if (this.contents === 'trained') this.backend.write(this.store.params, params);
    this.trainedHost = params;
    this.hasTrainedSlot = true;
    this.trainedStep = step;
  }

  clearTrained(): void {
    this.hasTrainedSlot = false;
    this.trainedHost = null;
    this.trainedStep = 0;
    if (this.contents === 'trained') this.use('base');
  }

  /** The run is over (finished, cancelled or failed): its live copy goes. */
  endLive(show: WeightsState): void {
    this.live = null;
    this.backend.copy(show === 'trained' && this.hasTrainedSlot ? this.trained! : this.base, this.store.params);
    this.contents = show === 'trained' && this.hasTrainedSlot ? 'trained' : 'base';
  }

  /** Nothing on the device can be trusted any more (it was lost): only host copies remain. */
  forgetDevice(): void {
    this.live = null;
    this.contents = 'base';
  }

  /** The trained weights on the host: read from the device the first time they are asked for. */
  async readTrained(): Promise<Float32Array | null> {
    if (!this.hasTrainedSlot) return null;
    if (!this.trainedHost) this.trainedHost = await this.backend.read(this.trained!);
    return this.trainedHost;
  }

  /** The host copy if one was read already (what survives a lost device). */
  get trainedOnHost(): Float32Array | null {
    return this.hasTrainedSlot ? this.trainedHost : null;
  }

  /** The weights a paused run has reached, read now (before training can resume). */
  readLive(): Promise<Float32Array> {
    return this.backend.read(this.contents === 'live' || !this.live ? this.store.params : this.live);
  }
}
