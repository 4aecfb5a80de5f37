/** Thrown on purpose by tests of a grant callback that throws: the real SDK leaves that rejection unhandled. */
export const EXPECTED_UNHANDLED = '[expected] grant callback threw';
