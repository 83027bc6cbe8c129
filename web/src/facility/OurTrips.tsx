/** Placeholder while issue 16's screen is built; replaced by the real page. */
export default function OurTrips() {
  return (
    <section className="page" aria-labelledby="page-title">
      <h1 id="page-title">Our trips</h1>
    </section>
  );
}
