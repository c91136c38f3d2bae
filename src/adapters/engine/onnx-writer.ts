/**
 * A minimal ONNX model writer: just the protobuf messages and fields (onnx/onnx.proto, IR 7) needed
 * to express small convolutional graphs with float32 initializers. Used to run face-api's nets,
 * with face-api's own weights, on onnxruntime-node (facenets.ts). Pure functions, no dependencies.
 */

/** Protobuf writer: varints and length-delimited fields. */
class Pb {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  private varint(value: number): void {
    const out: number[] = [];
    let v = value;
    if (v < 0) throw new Error('negative varints are not needed here');
    while (v >= 0x80) {
      out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    out.push(v);
    this.push(Uint8Array.from(out));
  }

  int(field: number, value: number): this {
    this.varint(field << 3);
    this.varint(value);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.varint((field << 3) | 2);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, value: Pb): this {
    return this.bytes(field, value.finish());
  }

  float(field: number, value: number): this {
    this.varint((field << 3) | 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

const FLOAT = 1;
const INT64 = 7;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

export type Attr = number | number[] | { float: number };

/** A graph under construction. Names are generated; every op returns its output's name. */
export class GraphBuilder {
  private readonly nodes: Pb[] = [];
  private readonly initializers: Pb[] = [];
  private readonly inputs: Pb[] = [];
  private readonly outputs: Pb[] = [];
  private next = 0;

  private fresh(prefix: string): string {
    return `${prefix}_${this.next++}`;
  }

  /** A float32 tensor initializer from raw values. */
  constant(values: Float32Array, dims: readonly number[]): string {
    const name = this.fresh('w');
    const t = new Pb();
    for (const d of dims) t.int(1, d);
    t.int(2, FLOAT).string(8, name);
    t.bytes(9, new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice());
    this.initializers.push(t);
    return name;
  }

  /** An int64 tensor initializer (shapes, pads). */
  int64s(values: readonly number[]): string {
    const name = this.fresh('i');
    const raw = new BigInt64Array(values.map((v) => BigInt(v)));
    const t = new Pb().int(1, values.length).int(2, INT64).string(8, name);
    t.bytes(9, new Uint8Array(raw.buffer));
    this.initializers.push(t);
    return name;
  }

  op(type: string, inputs: readonly string[], attrs: Record<string, Attr> = {}): string {
    const out = this.fresh(type.toLowerCase());
    const n = new Pb();
    for (const i of inputs) n.string(1, i);
    n.string(2, out).string(3, out).string(4, type);
    for (const [name, value] of Object.entries(attrs)) {
      const a = new Pb().string(1, name);
      if (Array.isArray(value)) {
        for (const v of value) a.int(8, v);
        a.int(20, ATTR_INTS);
      } else if (typeof value === 'number') {
        a.int(3, value).int(20, ATTR_INT);
      } else {
        a.float(2, value.float).int(20, ATTR_FLOAT);
      }
      n.message(5, a);
    }
    this.nodes.push(n);
    return out;
  }

  private valueInfo(name: string, dims: readonly (number | string)[]): Pb {
    const shape = new Pb();
    for (const d of dims) shape.message(1, typeof d === 'number' ? new Pb().int(1, d) : new Pb().string(2, d));
    const tensorType = new Pb().int(1, FLOAT).message(2, shape);
    return new Pb().string(1, name).message(2, new Pb().message(1, tensorType));
  }

  input(name: string, dims: readonly (number | string)[]): string {
    this.inputs.push(this.valueInfo(name, dims));
    return name;
  }

  output(name: string, dims: readonly (number | string)[]): void {
    this.outputs.push(this.valueInfo(name, dims));
  }

  /** The serialised ModelProto (IR 7, default opset 13). */
  model(graphName: string): Uint8Array {
    const g = new Pb();
    for (const n of this.nodes) g.message(1, n);
    g.string(2, graphName);
    for (const t of this.initializers) g.message(5, t);
    for (const i of this.inputs) g.message(11, i);
    for (const o of this.outputs) g.message(12, o);
    return new Pb().int(1, 7).string(2, 'facegraph').message(7, g).message(8, new Pb().string(1, '').int(2, 13)).finish();
  }
}
