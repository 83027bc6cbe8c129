/** Placeholder while issue 16's screen is built; replaced by the real page. */
export default function Users() {
  return (
    <section className="page" aria-labelledby="page-title">
      <h1 id="page-title">Users</h1>
    </section>
  );
}
