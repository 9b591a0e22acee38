/** IM account ids (every userID, the IM administrator): IM's rule, owned here. */
export const USER_ID = /^[A-Za-z0-9_@.-]{1,32}$/;
/** The rule in words, for error messages and the API reference. */
export const USER_ID_RULE = '1-32 of A-Z a-z 0-9 _ - @ .';
