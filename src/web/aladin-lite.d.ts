// aladin-lite ships no type declarations; src/web/aladin.ts types the parts it uses.
declare module 'aladin-lite' {
  const A: unknown;
  export default A;
}
