/** Path of the Chromium executable: CHROMIUM_PATH, else Debian's /usr/bin/chromium. */
export declare const chromiumPath: string;
/** Headless flags that work as root on a machine with no outside network. */
export declare const chromiumArgs: readonly string[];
/** Throws at once, with the install command, when Chromium is missing. */
export declare function assertChromium(who: string): void;
