declare module 'heic-decode' {
  interface DecodedHeif {
    width: number;
    height: number;
    data: Uint8ClampedArray;
  }
  interface HeifImage {
    width: number;
    height: number;
    decode(): Promise<DecodedHeif>;
  }
  interface HeicDecode {
    (input: { buffer: Uint8Array | ArrayBuffer }): Promise<DecodedHeif>;
    all(input: { buffer: Uint8Array | ArrayBuffer }): Promise<HeifImage[]>;
  }
  const decode: HeicDecode;
  export default decode;
}
