// tssc's version, as --version and the features document print it.
export const VERSION = '0.1.0';
