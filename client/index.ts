/** The typed client of RoomService (see docs/api.md "Typed client"). */
export { RoomServiceError, type ClientOptions, type RoomType, type Session } from './core';
export * from './roomservice';
