// Mounts H5Web on #viewer; the page gives the h5grove routes of one file (data-url) and its name (data-file).
import "@h5web/app/styles.css";

import { App, H5GroveProvider } from "@h5web/app";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

const mount = document.getElementById("viewer");

createRoot(mount).render(
  <StrictMode>
    <H5GroveProvider url={mount.dataset.url} filepath={mount.dataset.file}>
      <App sidebarOpen={mount.dataset.sidebar !== "closed"} />
    </H5GroveProvider>
  </StrictMode>,
);
