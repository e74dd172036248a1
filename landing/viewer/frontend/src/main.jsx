// Mounts H5Web on #viewer; the page gives the h5grove routes of one file (data-url), its name (data-file) and the
// path to select first (data-opening-path: landing/viewer/opening.py).
import "@h5web/app/styles.css";

import { App, H5GroveProvider } from "@h5web/app";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

const mount = document.getElementById("viewer");
// H5Web's fetcher builds its requests with new URL(), which needs an absolute base.
const url = new URL(mount.dataset.url, window.location.href).href;

createRoot(mount).render(
  <StrictMode>
    <H5GroveProvider url={url} filepath={mount.dataset.file}>
      <App sidebarOpen={mount.dataset.sidebar !== "closed"} initialPath={mount.dataset.openingPath} />
    </H5GroveProvider>
  </StrictMode>,
);
