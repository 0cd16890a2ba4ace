import protobuf from 'protobufjs/light.js';

/**
 * The slice of onnx.proto3 an encoder graph needs, as a protobufjs JSON descriptor (the light
 * build, so the browser bundle carries no .proto parser). Field numbers are onnx.proto3's own;
 * fields we never write are left out, which protobuf readers accept.
 */
const int64 = (id: number) => ({ type: 'int64', id });
const str = (id: number) => ({ type: 'string', id });
const many = (type: string, id: number) => ({ rule: 'repeated', type, id });

const descriptor = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            ir_version: int64(1),
            producer_name: str(2),
            producer_version: str(3),
            domain: str(4),
            model_version: int64(5),
            doc_string: str(6),
            graph: { type: 'GraphProto', id: 7 },
            opset_import: many('OperatorSetIdProto', 8),
            metadata_props: many('StringStringEntryProto', 14),
          },
        },
        OperatorSetIdProto: { fields: { domain: str(1), version: int64(2) } },
        StringStringEntryProto: { fields: { key: str(1), value: str(2) } },
        GraphProto: {
          fields: {
            node: many('NodeProto', 1),
            name: str(2),
            initializer: many('TensorProto', 5),
            doc_string: str(10),
            input: many('ValueInfoProto', 11),
            output: many('ValueInfoProto', 12),
          },
        },
        NodeProto: {
          fields: {
            input: many('string', 1),
            output: many('string', 2),
            name: str(3),
            op_type: str(4),
            attribute: many('AttributeProto', 5),
            domain: str(7),
          },
        },
        AttributeProto: {
          fields: {
            name: str(1),
            f: { type: 'float', id: 2 },
            i: int64(3),
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            floats: many('float', 7),
            ints: many('int64', 8),
            type: { type: 'int32', id: 20 },
          },
        },
        TensorProto: {
          fields: {
            dims: many('int64', 1),
            data_type: { type: 'int32', id: 2 },
            // The typed fields below are only read (exporters other than ours use them for small tensors).
            float_data: many('float', 4),
            int32_data: many('int32', 5),
            int64_data: many('int64', 7),
            name: str(8),
            raw_data: { type: 'bytes', id: 9 },
            double_data: many('double', 10),
            external_data: many('StringStringEntryProto', 13),
            data_location: { type: 'int32', id: 14 },
          },
        },
        ValueInfoProto: { fields: { name: str(1), type: { type: 'TypeProto', id: 2 } } },
        TypeProto: { fields: { tensor_type: { type: 'TypeProtoTensor', id: 1 } } },
        TypeProtoTensor: { fields: { elem_type: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
        TensorShapeProto: { fields: { dim: many('Dimension', 1) } },
        Dimension: { fields: { dim_value: int64(1), dim_param: str(2) } },
      },
    },
  },
};

/** onnx.TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10 } as const;
export type DataTypeId = (typeof DataType)[keyof typeof DataType];

/** Every onnx.TensorProto.DataType, for messages about files we did not write. */
export const DATA_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING', 9: 'BOOL',
  10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128', 16: 'BFLOAT16',
  17: 'FLOAT8E4M3FN', 18: 'FLOAT8E4M3FNUZ', 19: 'FLOAT8E5M2', 20: 'FLOAT8E5M2FNUZ', 21: 'UINT4', 22: 'INT4', 23: 'FLOAT4E2M1',
};

export function dataTypeName(id: number): string {
  return DATA_TYPE_NAMES[id] ?? `data type ${id}`;
}

/** onnx.AttributeProto.AttributeType values used here. */
export const AttributeType = { FLOAT: 1, INT: 2, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

export interface TensorJson {
  name: string;
  dims: number[];
  data_type: DataTypeId;
  raw_data: Uint8Array;
}

export interface AttributeJson {
  name: string;
  type: (typeof AttributeType)[keyof typeof AttributeType];
  f?: number;
  i?: number;
  t?: TensorJson;
  floats?: number[];
  ints?: number[];
}

export interface NodeJson {
  name: string;
  op_type: string;
  input: string[];
  output: string[];
  attribute: AttributeJson[];
}

export interface ValueInfoJson {
  name: string;
  type: { tensor_type: { elem_type: DataTypeId; shape: { dim: ({ dim_value: number } | { dim_param: string })[] } } };
}

export interface ModelJson {
  ir_version: number;
  producer_name: string;
  producer_version: string;
  doc_string?: string;
  opset_import: { domain: string; version: number }[];
  metadata_props?: { key: string; value: string }[];
  graph: { name: string; node: NodeJson[]; initializer: TensorJson[]; input: ValueInfoJson[]; output: ValueInfoJson[] };
}

let modelType: protobuf.Type | null = null;
function model(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(descriptor).lookupType('onnx.ModelProto');
  return modelType;
}

export function encodeModel(m: ModelJson): Uint8Array {
  const type = model();
  return type.encode(type.fromObject(m)).finish();
}

/** Reads back what encodeModel wrote (int64 as numbers, bytes as Uint8Array); for tests and inspection. */
export function decodeModel(bytes: Uint8Array): ModelJson {
  const type = model();
  return type.toObject(type.decode(bytes), { longs: Number, defaults: false, arrays: true }) as ModelJson;
}

/**
 * A TensorProto as any exporter may have written it: the data in raw_data or in one of the typed
 * fields, or in a file beside the model (external data). Absent fields are absent or empty.
 */
export interface ReadTensor {
  readonly name?: string;
  readonly dims: readonly number[];
  readonly data_type?: number;
  readonly raw_data?: Uint8Array;
  readonly float_data: readonly number[];
  readonly int32_data: readonly number[];
  readonly int64_data: readonly number[];
  readonly double_data: readonly number[];
  readonly external_data: readonly { key?: string; value?: string }[];
  readonly data_location?: number;
}

export interface ReadAttribute {
  readonly name?: string;
  readonly f?: number;
  readonly i?: number;
  readonly t?: ReadTensor;
  readonly ints: readonly number[];
}

export interface ReadNode {
  readonly name?: string;
  readonly op_type?: string;
  readonly domain?: string;
  readonly input: readonly string[];
  readonly output: readonly string[];
  readonly attribute: readonly ReadAttribute[];
}

export interface ReadModel {
  readonly ir_version?: number;
  readonly producer_name?: string;
  readonly graph?: {
    readonly node: readonly ReadNode[];
    readonly initializer: readonly ReadTensor[];
    readonly input: readonly { name?: string }[];
  };
}

/** The protobuf bytes are not an ONNX model we can read (truncated, corrupt, or something else). */
export class OnnxReadError extends Error {
  override readonly name = 'OnnxReadError';
}

/**
 * Decodes a ModelProto written by any exporter. Protobuf decoding errors (a truncated download,
 * a file that is not ONNX) become OnnxReadError naming `file`; bytes fields stay views of `bytes`.
 */
export function readModel(bytes: Uint8Array, file: string): ReadModel {
  if (bytes.length === 0) throw new OnnxReadError(`${file}: the file is empty; expected an ONNX ModelProto`);
  const type = model();
  let m: ReadModel;
  try {
    // arrays: true gives every repeated field (possibly empty), so readers need no undefined checks.
    m = type.toObject(type.decode(bytes), { longs: Number, defaults: false, arrays: true }) as ReadModel;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new OnnxReadError(`${file}: not a readable ONNX model (${why}); expected an ONNX ModelProto — is the file truncated or not ONNX?`);
  }
  if (!m.graph || (m.graph.node.length === 0 && m.graph.initializer.length === 0)) {
    throw new OnnxReadError(`${file}: holds no ONNX graph (no nodes, no initializers); expected an ONNX ModelProto`);
  }
  return m;
}
