/** An instant or a length of time in ms, as an integer. */
export const ms = (description: string) => ({ type: 'integer', description }) as const;

/** The same, or null. */
export const nullableMs = (description: string) =>
  ({ type: ['integer', 'null'], description }) as const;
