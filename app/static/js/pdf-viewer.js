// The PDF viewer in the page (templates/_pdf_viewer.html): a link
//   <a class="pdf-view" href="<the file's route>?view=1" data-pdf-name="…" data-pdf-download="…">
// opens the file in a dialog with PDF.js (static/vendor/pdfjs, loaded on first use): pages with
// their text layer, thumbnails, search with highlighted matches, zoom, page navigation.
// The bytes come from the file's own route (same visibility as its download, audited as
// "Xem tệp"). A file that cannot be shown gives a message, never a blank dialog.
const modal = document.getElementById("pdf-viewer");

if (modal) {
  const $ = window.jQuery;
  const base = new URL(modal.dataset.pdfjs, document.baseURI).href;
  const msg = (name, values = {}) =>
    (modal.dataset["msg" + name] || "").replace(/\{(\w+)\}/g, (_m, key) => values[key] ?? "");
  const q = (selector) => modal.querySelector(selector);
  const container = q(".pdf-container");
  const thumbnails = q(".pdf-thumbnails");
  const message = q(".pdf-message");
  const pageInput = q(".pdf-page");
  const findInput = q(".pdf-find-input");
  const findStatus = q(".pdf-find-status");

  let lib = null; // {pdfjs, viewer: {EventBus, PDFViewer, …}}
  let view = null; // {eventBus, pdfViewer, linkService, findController}
  let task = null; // the open document's loading task
  let opener = null; // the link that opened the dialog, focused again on close
  let thumbObserver = null;

  async function loadLibrary() {
    if (!lib) {
      const pdfjs = await import(base + "pdf.min.mjs");
      pdfjs.GlobalWorkerOptions.workerSrc = base + "pdf.worker.min.mjs";
      globalThis.pdfjsLib = pdfjs; // what pdf_viewer.mjs reads
      const viewer = await import(base + "pdf_viewer.mjs");
      lib = { pdfjs, viewer };
    }
    return lib;
  }

  function makeView() {
    const { EventBus, LinkTarget, PDFLinkService, PDFFindController, PDFViewer } = lib.viewer;
    const eventBus = new EventBus();
    // a web address inside the PDF opens in a new tab, never in place of the e-office page
    const linkService = new PDFLinkService({
      eventBus, externalLinkTarget: LinkTarget.BLANK,
      externalLinkRel: "noopener noreferrer nofollow",
    });
    const findController = new PDFFindController({ eventBus, linkService });
    const pdfViewer = new PDFViewer({
      container, viewer: q(".pdfViewer"), eventBus, linkService, findController,
      textLayerMode: 1, removePageBorders: false,
    });
    linkService.setViewer(pdfViewer);
    eventBus.on("pagesinit", () => { pdfViewer.currentScaleValue = q(".pdf-zoom").value; });
    eventBus.on("pagechanging", ({ pageNumber }) => showPage(pageNumber));
    eventBus.on("updatefindmatchescount", ({ matchesCount }) => showMatches(matchesCount));
    eventBus.on("updatefindcontrolstate", ({ state, matchesCount }) => {
      if (state === lib.viewer.FindState.NOT_FOUND) {
        findStatus.textContent = findInput.value ? msg("NotFound") : "";
      } else {
        showMatches(matchesCount);
      }
    });
    return { eventBus, linkService, findController, pdfViewer };
  }

  function showMatches(count) {
    if (count && count.total) {
      findStatus.textContent = msg("Found", { current: count.current, total: count.total });
    }
  }

  function showPage(number) {
    pageInput.value = number;
    thumbnails.querySelectorAll(".pdf-thumb").forEach((thumb) => {
      const current = Number(thumb.dataset.page) === number;
      thumb.classList.toggle("current", current);
      if (current) {
        thumb.setAttribute("aria-current", "page");
        if (thumb.scrollIntoView && !isVisible(thumb)) thumb.scrollIntoView({ block: "nearest" });
      } else {
        thumb.removeAttribute("aria-current");
      }
    });
  }

  function isVisible(element) {
    const box = element.getBoundingClientRect();
    const frame = thumbnails.getBoundingClientRect();
    return box.top >= frame.top && box.bottom <= frame.bottom;
  }

  function showMessage(text) {
    message.textContent = text;
    message.classList.toggle("hidden", !text);
  }

  async function renderThumb(pdf, thumb) {
    const page = await pdf.getPage(Number(thumb.dataset.page));
    const unscaled = page.getViewport({ scale: 1 });
    const viewport = page.getViewport({ scale: 100 / unscaled.width });
    const canvas = document.createElement("canvas");
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    await page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport }).promise;
    thumb.querySelector(".pdf-thumb-blank")?.replaceWith(canvas);
  }

  function makeThumbnails(pdf) {
    thumbnails.textContent = "";
    thumbObserver = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting && !entry.target.dataset.drawn) {
          entry.target.dataset.drawn = "1";
          renderThumb(pdf, entry.target).catch(() => {}); // a thumbnail that fails stays blank
        }
      }
    }, { root: thumbnails, rootMargin: "300px 0px" });
    for (let number = 1; number <= pdf.numPages; number++) {
      const thumb = document.createElement("button");
      thumb.type = "button";
      thumb.className = "pdf-thumb";
      thumb.dataset.page = String(number);
      thumb.setAttribute("aria-label", msg("Page", { page: number }));
      const blank = document.createElement("span");
      blank.className = "pdf-thumb-blank";
      const label = document.createElement("span");
      label.className = "small";
      label.textContent = String(number);
      thumb.append(blank, label);
      thumb.addEventListener("click", () => { view.pdfViewer.currentPageNumber = number; });
      thumbnails.append(thumb);
      thumbObserver.observe(thumb);
    }
    showPage(1);
  }

  function reason(error) {
    if (error && error.name === "PasswordException") return msg("Password");
    if (error && (error.name === "ResponseException" || error.name === "MissingPDFException")) {
      return msg("Missing");
    }
    return msg("Broken");
  }

  async function open(url, name, download) {
    await close();
    q("#pdf-viewer-title").textContent = name;
    q(".pdf-download").href = download || url.replace(/([?&])view=1&?/, "$1").replace(/[?&]$/, "");
    q(".pdf-pages").textContent = "–";
    pageInput.value = 1;
    findInput.value = "";
    findStatus.textContent = "";
    thumbnails.textContent = "";
    showMessage(msg("Loading"));
    $(modal).modal("show");
    try {
      await loadLibrary();
    } catch (error) {
      showMessage(msg("Failed"));
      return;
    }
    view ||= makeView();
    const { pdfjs } = lib;
    task = pdfjs.getDocument({
      url,
      // one request per view (one audit line): no range requests
      disableRange: true,
      cMapUrl: base + "cmaps/", cMapPacked: true,
      standardFontDataUrl: base + "standard_fonts/",
      wasmUrl: base + "wasm/", iccUrl: base + "iccs/",
      isEvalSupported: false, // our Content-Security-Policy forbids eval
      enableXfa: false,
    });
    const thisTask = task;
    task.onPassword = () => {
      showMessage(msg("Password"));
      thisTask.destroy();
    };
    let pdf;
    try {
      pdf = await thisTask.promise;
    } catch (error) {
      if (task === thisTask) showMessage(reason(error));
      return;
    }
    if (task !== thisTask) return; // closed or another file opened meanwhile
    showMessage("");
    q(".pdf-pages").textContent = String(pdf.numPages);
    pageInput.max = String(pdf.numPages);
    view.pdfViewer.setDocument(pdf);
    view.linkService.setDocument(pdf, null);
    makeThumbnails(pdf);
    container.focus({ preventScroll: true });
  }

  async function close() {
    thumbObserver?.disconnect();
    thumbObserver = null;
    if (view) {
      view.pdfViewer.setDocument(null);
      view.linkService.setDocument(null, null);
    }
    const old = task;
    task = null;
    if (old) await old.destroy();
  }

  function find(type, previous = false) {
    if (!view) return;
    if (!findInput.value) findStatus.textContent = "";
    view.eventBus.dispatch("find", {
      source: findInput, type, query: findInput.value, caseSensitive: false,
      entireWord: false, highlightAll: true, findPrevious: previous, matchDiacritics: false,
    });
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a.pdf-view");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    const url = new URL(link.getAttribute("href"), document.baseURI);
    if (url.origin !== window.location.origin) return;
    event.preventDefault();
    opener = link;
    open(url.href, link.dataset.pdfName || link.textContent.trim(), link.dataset.pdfDownload);
  });

  $(modal).on("hidden.bs.modal", () => {
    close();
    showMessage("");
    opener?.focus();
  });

  q(".pdf-prev").addEventListener("click", () => view?.pdfViewer.previousPage());
  q(".pdf-next").addEventListener("click", () => view?.pdfViewer.nextPage());
  q(".pdf-zoom-in").addEventListener("click", () => view?.pdfViewer.increaseScale());
  q(".pdf-zoom-out").addEventListener("click", () => view?.pdfViewer.decreaseScale());
  q(".pdf-zoom").addEventListener("change", (event) => {
    if (view && view.pdfViewer.pagesCount) view.pdfViewer.currentScaleValue = event.target.value;
  });
  pageInput.addEventListener("change", () => {
    const number = Number(pageInput.value);
    if (view && number >= 1 && number <= view.pdfViewer.pagesCount) {
      view.pdfViewer.currentPageNumber = number;
    } else if (view) {
      pageInput.value = view.pdfViewer.currentPageNumber;
    }
  });
  let typing = null;
  findInput.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => find(""), 250);
  });
  findInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      find("again", event.shiftKey);
    }
  });
  q(".pdf-find-next").addEventListener("click", () => find("again"));
  q(".pdf-find-prev").addEventListener("click", () => find("again", true));
}
