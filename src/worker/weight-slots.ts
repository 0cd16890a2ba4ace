/**
 * The weights a session switches between — the loaded model's (base), the last fine-tune's
 * (trained) and a running run's own (live) — kept as device-side copies beside the model's
 * parameter buffer, so switching is a device copy: an evaluation during training moves nothing
 * to or from the host. Host copies are taken only where they must outlive the device: the base
 * at load (fingerprint, recovery) and the trained weights when a run ends or fails (saving,
 * recovery). The copies are allocated once per model size and reused (a backend cannot free one
 * tensor), so runs and model loads do not grow device memory.
 */
import type { DeviceMemory, Tensor } from '../engine/backend.ts';
import type { ParamStore } from '../engine/params.ts';
import type { WeightsState } from '../shared/events.ts';

/** What the model's buffer holds now; 'live' = a training run's weights. */
export type BufferContents = WeightsState | 'live';

interface SlotTensors {
  readonly base: Tensor;
  trained: Tensor | null;
  live: Tensor | null;
}

export class WeightSlots {
  private readonly tensors: SlotTensors;
  /** Whether the trained / live copies hold weights (their tensors outlive what they held). */
  private hasTrainedSlot = false;
  private liveSaved = false;
  /** The trained weights on the host, once read (null while only the device has them). */
  private trainedHost: Float32Array | null = null;
  /** Bumped whenever the trained weights change, so a host read that finishes late is dropped. */
  private trainedGeneration = 0;
  private contents: BufferContents = 'base';
  /** The training step the trained weights were taken at. */
  trainedStep = 0;

  constructor(
    private readonly backend: DeviceMemory,
    private readonly store: ParamStore,
    /** The base weights as loaded: read once, before any training changed the buffer. */
    readonly baseHost: Float32Array,
    /** The slots of the model loaded before on this backend: their tensors are reused when the sizes match. */
    previous?: WeightSlots | null,
  ) {
    const reuse = previous && previous.backend === backend && previous.tensors.base.size === store.layout.totalSize ? previous.tensors : null;
    this.tensors = reuse ?? { base: this.newSlot(), trained: null, live: null };
    backend.copy(store.params, this.tensors.base);
  }

  get current(): BufferContents {
    return this.contents;
  }

  get hasTrained(): boolean {
    return this.hasTrainedSlot;
  }

  private newSlot(): Tensor {
    return this.backend.zeros([this.store.layout.totalSize], 'f32', true);
  }

  private trainedTensor(): Tensor {
    return (this.tensors.trained ??= this.newSlot());
  }

  /** Shows base or trained weights in the model; a run's live weights are kept aside first. */
  use(state: WeightsState): void {
    if (state === this.contents) return;
    if (state === 'trained' && !this.hasTrainedSlot) throw new Error('there are no fine-tuned weights yet: train first');
    // A playground query during a paused run must not overwrite the run's weights.
    if (this.contents === 'live') {
      this.backend.copy(this.store.params, (this.tensors.live ??= this.newSlot()));
      this.liveSaved = true;
    }
    this.backend.copy(state === 'base' ? this.tensors.base : this.trainedTensor(), this.store.params);
    this.contents = state;
  }

  /** A run starts (or resumes) on whatever the buffer holds now: those are its live weights. */
  beginLive(): void {
    this.contents = 'live';
    this.liveSaved = false;
  }

  /** Puts a run's own weights back before its next step. */
  resumeLive(): void {
    if (this.contents === 'live') return;
    if (!this.liveSaved) throw new Error('the training run lost its weights');
    this.backend.copy(this.tensors.live!, this.store.params);
    this.contents = 'live';
  }

  private trainedChanged(step: number, host: Float32Array | null): void {
    this.hasTrainedSlot = true;
    this.trainedHost = host;
    this.trainedGeneration++;
    this.trainedStep = step;
  }

  /** The run's weights now become the trained ones (an evaluation during a run, or its end): device only. */
  captureTrained(step: number): void {
    this.resumeLive();
    this.backend.copy(this.store.params, this.trainedTensor());
    this.trainedChanged(step, null);
  }

  /** Makes host weights (a saved run, a checkpoint) the trained ones. */
  setTrained(params: Float32Array, step: number): void {
    if (params.length !== this.store.layout.totalSize) throw new Error(`the saved weights have ${params.length} values; the loaded model has ${this.store.layout.totalSize}`);
    this.backend.write(this.trainedTensor(), params);
    if (this.contents === 'trained') this.backend.write(this.store.params, params);
    this.trainedChanged(step, params);
  }

  clearTrained(): void {
    if (this.contents === 'trained') this.use('base');
    this.hasTrainedSlot = false;
    this.trainedHost = null;
    this.trainedGeneration++;
    this.trainedStep = 0;
  }

  /** The run is over (finished, cancelled or failed): the buffer shows `show` (base without trained weights). */
  endLive(show: WeightsState): void {
    this.liveSaved = false;
    const trained = show === 'trained' && this.hasTrainedSlot;
    this.backend.copy(trained ? this.trainedTensor() : this.tensors.base, this.store.params);
    this.contents = trained ? 'trained' : 'base';
  }

  /** Nothing on the device can be trusted any more (it was lost): only host copies remain. */
  forgetDevice(): void {
    this.liveSaved = false;
    this.contents = 'base';
  }

  /** The trained weights on the host: read from the device the first time they are asked for. */
  async readTrained(): Promise<Float32Array | null> {
    if (!this.hasTrainedSlot) return null;
    if (this.trainedHost) return this.trainedHost;
    const generation = this.trainedGeneration;
    const read = await this.backend.read(this.trainedTensor());
    // Weights set while the read was under way are newer: keep theirs.
    if (generation === this.trainedGeneration) this.trainedHost = read;
    return read;
  }

  /** The host copy if one was read already (what survives a lost device). */
  get trainedOnHost(): Float32Array | null {
    return this.hasTrainedSlot ? this.trainedHost : null;
  }

  /** The weights a paused run has reached, read now (before training can resume). */
  readLive(): Promise<Float32Array> {
    return this.backend.read(this.contents === 'live' || !this.liveSaved ? this.store.params : this.tensors.live!);
  }
}
