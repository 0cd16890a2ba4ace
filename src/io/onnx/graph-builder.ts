import { AttributeType, DataType, type AttributeJson, type DataTypeId, type NodeJson, type TensorJson, type ValueInfoJson } from './onnx-proto.ts';

export type Attr = { int: number } | { float: number } | { ints: readonly number[] };

function attribute(name: string, a: Attr): AttributeJson {
  if ('int' in a) return { name, type: AttributeType.INT, i: a.int };
  if ('float' in a) return { name, type: AttributeType.FLOAT, f: a.float };
  return { name, type: AttributeType.INTS, ints: [...a.ints] };
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
}

/** A tensor's little-endian bytes (ONNX raw_data); typed arrays are little-endian on every host we target. */
export function tensor(name: string, dataType: DataTypeId, dims: readonly number[], data: ArrayBufferView): TensorJson {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('ONNX export needs a little-endian host');
  return { name, dims: [...dims], data_type: dataType, raw_data: bytesOf(data) };
}

/** Dimensions: a number is fixed, a string is symbolic (dim_param). */
export function valueInfo(name: string, elemType: DataTypeId, dims: readonly (number | string)[]): ValueInfoJson {
  return {
    name,
    type: { tensor_type: { elem_type: elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
  };
}

/**
 * Appends nodes in the order they are made (so the graph is topologically sorted by
 * construction) and names outputs uniquely from a readable prefix.
 */
export class GraphBuilder {
  readonly nodes: NodeJson[] = [];
  readonly initializers: TensorJson[] = [];
  private readonly used = new Set<string>();

  private fresh(prefix: string): string {
    let name = prefix;
    for (let i = 1; this.used.has(name); i++) name = `${prefix}_${i}`;
    this.used.add(name);
    return name;
  }

  /** One node with `outputs` outputs; returns their names. */
  opN(opType: string, inputs: readonly string[], outputs: number, attrs: Record<string, Attr> = {}, name = opType): string[] {
    const nodeName = this.fresh(`/${name}`);
    const out = Array.from({ length: outputs }, (_, i) => this.fresh(`${nodeName}_output_${i}`));
    this.nodes.push({
      name: nodeName,
      op_type: opType,
      input: [...inputs],
      output: out,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  op(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, name = opType): string {
    return this.opN(opType, inputs, 1, attrs, name)[0];
  }

  /** Renames the single output of the last node (used for the graph output). */
  renameLastOutput(name: string): void {
    const last = this.nodes[this.nodes.length - 1];
    this.used.add(name);
    last.output[0] = name;
  }

  initializer(name: string, dataType: DataTypeId, dims: readonly number[], data: ArrayBufferView): string {
    const unique = this.fresh(name);
    this.initializers.push(tensor(unique, dataType, dims, data));
    return unique;
  }

  int64(name: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.initializer(name, DataType.INT64, dims, BigInt64Array.from(values.map((v) => BigInt(v))));
  }
}
