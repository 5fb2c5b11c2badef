/** The protocol spine: the one parameter reader, the one error type, XML text safety. */
export { DaliError } from './errors.js';
export { DaliParameters, decodeUrlEncoded } from './params.js';
export * from './xml.js';
