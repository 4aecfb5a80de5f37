// The bundle BASELINE: what every TDS mini-app pays before its own code — React, the Apps in Toss SDK and the TDS
// provider, rendering one line. Built by scripts/bench/bundle.ts with the web app's Vite and React plugin.
import { appLogin, IAP } from '@apps-in-toss/web-framework';
import { TDSMobileAITProvider } from '@toss/tds-mobile-ait';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

function App() {
  return (
    <button type="button" onClick={() => void appLogin().then(() => IAP.getProductItemList())}>
      hello
    </button>
  );
}

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <TDSMobileAITProvider>
        <App />
      </TDSMobileAITProvider>
    </StrictMode>,
  );
}
