// `import x from "./file.sql" with { type: "text" }` (Bun text import): the file's contents.
declare module "*.sql" {
  const text: string;
  export default text;
}
