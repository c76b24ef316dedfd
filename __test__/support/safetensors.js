// Takes a safetensors export apart and puts it back together, so that tests can forge exactly
// the damage they mean: a manifest field, a tensor's shape or offsets, a value in the data.

/** `{ header, manifest, data }` of a safetensors Buffer written by s3db-ml. */
export function parseSafetensors(bytes) {
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
  const manifest = JSON.parse(header.__metadata__['s3db-ml']);
  return { header, manifest, data: Buffer.from(bytes.subarray(8 + length)) };
}

/** The Buffer of `{ header, manifest, data }` (the manifest goes back into the metadata). */
export function buildSafetensors({ header, manifest, data }) {
  const full = { ...header, __metadata__: { ...header.__metadata__, 's3db-ml': JSON.stringify(manifest) } };
  let text = JSON.stringify(full);
  while ((8 + Buffer.byteLength(text)) % 8 !== 0) text += ' ';
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  return Buffer.concat([length, Buffer.from(text, 'utf8'), data]);
}

/** A copy of `bytes` with `edit({ header, manifest, data })` applied (it mutates its argument). */
export function editSafetensors(bytes, edit) {
  const parts = parseSafetensors(bytes);
  edit(parts);
  return buildSafetensors(parts);
}

/** Writes `value` over element `index` of tensor `name` (F32 or F64) in `parts.data`. */
export function setTensorValue(parts, name, index, value) {
  const entry = parts.header[name];
  const size = entry.dtype === 'F64' ? 8 : 4;
  const at = entry.data_offsets[0] + index * size;
  if (size === 8) parts.data.writeDoubleLE(value, at);
  else parts.data.writeFloatLE(value, at);
}
