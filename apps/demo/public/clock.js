// The sample app's server clock: an event stream (GET /clock) that the server ends, saying why, when the
// session ends (sign-out anywhere, idle or absolute timeout). Opening it is not activity on its own.
const output = document.getElementById('server-clock');
if (output) {
  const source = new EventSource('/clock');
  source.onmessage = (event) => {
    output.textContent = new Date(event.data).toLocaleTimeString();
  };
  source.addEventListener('ended', (event) => {
    source.close();
    output.textContent = `stopped: the session ended (${event.data})`;
    output.dataset.ended = event.data;
  });
  source.onerror = () => {
    // After a 401 (no session any more) EventSource stops by itself; a network error retries.
    if (source.readyState === EventSource.CLOSED) output.textContent = 'stopped';
  };
}
