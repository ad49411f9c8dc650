-- CreateTable
CREATE TABLE "MemberCard" (
    "shop" TEXT NOT NULL,
    "ref" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "secretSealed" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),
    "lastScannedAt" TIMESTAMP(3),

    CONSTRAINT "MemberCard_pkey" PRIMARY KEY ("shop","ref")
);

-- CreateTable
CREATE TABLE "CardScan" (
    "shop" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "cardRef" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "saleCustomerId" TEXT,
    "locationId" TEXT,
    "scannedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CardScan_pkey" PRIMARY KEY ("shop","id")
);

-- CreateTable
CREATE TABLE "MemberMerge" (
    "shop" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "survivorId" TEXT NOT NULL,
    "mergedId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "evidence" JSONB NOT NULL,
    "proposedAt" TIMESTAMP(3) NOT NULL,
    "decidedAt" TIMESTAMP(3),
    "undoneAt" TIMESTAMP(3),

    CONSTRAINT "MemberMerge_pkey" PRIMARY KEY ("shop","id")
);

-- CreateTable
CREATE TABLE "CustomerAlias" (
    "shop" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "survivorId" TEXT NOT NULL,
    "mergeId" TEXT NOT NULL,

    CONSTRAINT "CustomerAlias_pkey" PRIMARY KEY ("shop","customerId")
);

-- CreateTable
CREATE TABLE "PerkProgram" (
    "shop" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "reward" TEXT NOT NULL,
    "everyVisits" INTEGER,
    "variantIds" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "segmentId" TEXT,
    "startsOn" DATE NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PerkProgram_pkey" PRIMARY KEY ("shop","id")
);

-- CreateTable
CREATE TABLE "PerkRedemption" (
    "shop" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "programId" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "unitKey" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "variantId" TEXT,
    "locationId" TEXT,
    "redeemedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PerkRedemption_pkey" PRIMARY KEY ("shop","id")
);

-- CreateTable
CREATE TABLE "RecommendItem" (
    "shop" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "productId" TEXT,
    "variantId" TEXT,
    "category" TEXT,
    "visits" INTEGER NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RecommendItem_pkey" PRIMARY KEY ("shop","key")
);

-- CreateTable
CREATE TABLE "ItemAffinity" (
    "shop" TEXT NOT NULL,
    "item" TEXT NOT NULL,
    "partner" TEXT NOT NULL,
    "together" INTEGER NOT NULL,
    "members" INTEGER NOT NULL,
    "confidence" DOUBLE PRECISION NOT NULL,
    "lift" DOUBLE PRECISION NOT NULL,
    "rank" INTEGER NOT NULL,

    CONSTRAINT "ItemAffinity_pkey" PRIMARY KEY ("shop","item","partner")
);

-- CreateTable
CREATE TABLE "MemberRecommendation" (
    "shop" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "rank" INTEGER NOT NULL,
    "item" TEXT NOT NULL,
    "score" DOUBLE PRECISION NOT NULL,
    "becauseOf" TEXT,
    "computedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MemberRecommendation_pkey" PRIMARY KEY ("shop","customerId","kind","rank")
);

-- CreateIndex
CREATE INDEX "MemberCard_shop_customerId_idx" ON "MemberCard"("shop", "customerId");

-- CreateIndex
CREATE INDEX "CardScan_shop_customerId_idx" ON "CardScan"("shop", "customerId");

-- CreateIndex
CREATE INDEX "MemberMerge_shop_status_idx" ON "MemberMerge"("shop", "status");

-- CreateIndex
CREATE UNIQUE INDEX "MemberMerge_shop_survivorId_mergedId_key" ON "MemberMerge"("shop", "survivorId", "mergedId");

-- CreateIndex
CREATE INDEX "CustomerAlias_shop_survivorId_idx" ON "CustomerAlias"("shop", "survivorId");

-- CreateIndex
CREATE INDEX "PerkRedemption_shop_redeemedAt_idx" ON "PerkRedemption"("shop", "redeemedAt");

-- CreateIndex
CREATE UNIQUE INDEX "PerkRedemption_shop_programId_customerId_unitKey_key" ON "PerkRedemption"("shop", "programId", "customerId", "unitKey");

-- CreateIndex
CREATE INDEX "ItemAffinity_shop_item_rank_idx" ON "ItemAffinity"("shop", "item", "rank");
