// koa2 is koa@2 under another name (its contract run); it has the API of Koa 3 that the test app uses.
declare module 'koa2' {
  import Koa from 'koa';
  export default Koa;
}
