import ts from 'typescript';

/**
 * Compiles one TypeScript source held in memory (as `fileName`, so its imports resolve from there)
 * and returns its diagnostics with their positions. A diagnostic outside the source means the
 * types it imports did not load: that throws, so a check built on this cannot pass vacuously.
 */
export function typecheckInMemory(
  fileName: string,
  source: string,
  lib: readonly string[],
): { sourceFile: ts.SourceFile; diagnostics: Array<{ start: number; messageText: string | ts.DiagnosticMessageChain }> } {
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: [...lib],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const host = ts.createCompilerHost(options);
  const sourceFile = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true);
  const { getSourceFile, fileExists } = host;
  host.getSourceFile = (name, ...rest) => (name === fileName ? sourceFile : getSourceFile.call(host, name, ...rest));
  host.fileExists = (name) => name === fileName || fileExists.call(host, name);
  const program = ts.createProgram([fileName], options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    if (diagnostic.file !== sourceFile || diagnostic.start === undefined)
      throw new Error(`the schema types did not load: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`);
    return { start: diagnostic.start, messageText: diagnostic.messageText };
  });
  return { sourceFile, diagnostics };
}
