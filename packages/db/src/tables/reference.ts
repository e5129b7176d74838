/** Code tables for dashboards and ad-hoc SQL: join a code column to read its meaning. */
export interface CodeDescriptionTable {
  code: number;
  description: string;
}
