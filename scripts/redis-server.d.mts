export declare const redisServerPath: string;
export interface RedisServer {
  url: string;
  port: number;
  /** Stops the server; with `keepData`, saves its data first so that `start` loads it again. */
  stop(options?: { keepData?: boolean }): Promise<void>;
  /** Starts it again on the same port, after `stop`. */
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): connected, answering nothing. */
  pause(): void;
  /** Lets a paused server answer again (SIGCONT). */
  resume(): void;
}
export declare function startRedisServer(who: string): Promise<RedisServer>;
