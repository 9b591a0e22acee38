declare module 'tls-sig-api-v2' {
  export class Api {
    constructor(sdkAppId: number, key: string);
    genUserSig(userId: string, expireSeconds: number): string;
    genSig(userId: string, expireSeconds: number, userBuf: Buffer | null): string;
    genPrivateMapKey(userId: string, expireSeconds: number, roomId: number, privilegeMap: number): string;
    genPrivateMapKeyWithStringRoomID(userId: string, expireSeconds: number, roomId: string, privilegeMap: number): string;
  }
}
