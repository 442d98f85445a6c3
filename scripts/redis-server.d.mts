export declare const redisServerPath: string;
export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  restart(): Promise<void>;
}
export declare function startRedisServer(who: string): Promise<RedisServer>;
