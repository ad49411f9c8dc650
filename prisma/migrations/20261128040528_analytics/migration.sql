-- CreateTable
CREATE TABLE "ShopSettings" (
    "shop" TEXT NOT NULL,
    "timezoneOverride" TEXT,
    "dayparts" JSONB,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ShopSettings_pkey" PRIMARY KEY ("shop")
);

-- CreateTable
CREATE TABLE "Visit" (
    "shop" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "localDate" DATE NOT NULL,
    "locationKey" TEXT NOT NULL,
    "firstOrderAt" TIMESTAMP(3) NOT NULL,
    "lastOrderAt" TIMESTAMP(3) NOT NULL,
    "orders" INTEGER NOT NULL,
    "spend" DECIMAL(18,4) NOT NULL,
    "weekday" INTEGER NOT NULL,
    "localMinute" INTEGER NOT NULL,
    "label" TEXT,
    "pos" BOOLEAN NOT NULL DEFAULT false,
    "web" BOOLEAN NOT NULL DEFAULT false,
    "pickup" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "Visit_pkey" PRIMARY KEY ("shop","customerId","localDate","locationKey")
);

-- CreateTable
CREATE TABLE "MemberFeature" (
    "shop" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "firstVisitOn" DATE NOT NULL,
    "lastVisitOn" DATE NOT NULL,
    "visitCount" INTEGER NOT NULL,
    "totalSpend" DECIMAL(18,4) NOT NULL,
    "avgSpend" DECIMAL(18,4) NOT NULL,
    "gapCount" INTEGER NOT NULL DEFAULT 0,
    "gapMedianDays" DOUBLE PRECISION,
    "gapSpreadDays" DOUBLE PRECISION,
    "pattern" TEXT NOT NULL,
    "patternShare" DOUBLE PRECISION NOT NULL,
    "usualMinute" INTEGER,
    "posVisits" INTEGER NOT NULL DEFAULT 0,
    "webVisits" INTEGER NOT NULL DEFAULT 0,
    "pickupVisits" INTEGER NOT NULL DEFAULT 0,
    "acquisitionWeek" DATE NOT NULL,
    "acquisitionMonth" DATE NOT NULL,
    "pAlive" DOUBLE PRECISION,
    "expectedVisits30" DOUBLE PRECISION,
    "usualGapDays" DOUBLE PRECISION,
    "dueFrom" DATE,
    "dueUntil" DATE,
    "computedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MemberFeature_pkey" PRIMARY KEY ("shop","customerId")
);

-- CreateTable
CREATE TABLE "ModelFit" (
    "shop" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "unit" TEXT NOT NULL,
    "until" DATE NOT NULL,
    "status" TEXT NOT NULL,
    "reason" TEXT,
    "customers" INTEGER NOT NULL,
    "repeaters" INTEGER NOT NULL,
    "r" DOUBLE PRECISION,
    "alpha" DOUBLE PRECISION,
    "a" DOUBLE PRECISION,
    "b" DOUBLE PRECISION,
    "logLikelihood" DOUBLE PRECISION,
    "details" JSONB NOT NULL DEFAULT '{}',
    "fittedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ModelFit_pkey" PRIMARY KEY ("shop","id")
);

-- CreateTable
CREATE TABLE "CohortSnapshot" (
    "shop" TEXT NOT NULL,
    "by" TEXT NOT NULL,
    "until" DATE NOT NULL,
    "data" JSONB NOT NULL,
    "computedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CohortSnapshot_pkey" PRIMARY KEY ("shop","by")
);

-- CreateTable
CREATE TABLE "Segment" (
    "shop" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "definition" JSONB NOT NULL,
    "builtIn" BOOLEAN NOT NULL DEFAULT false,
    "memberCount" INTEGER NOT NULL DEFAULT 0,
    "refreshedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Segment_pkey" PRIMARY KEY ("shop","id")
);

-- CreateTable
CREATE TABLE "SegmentMembership" (
    "shop" TEXT NOT NULL,
    "segmentId" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "enteredAt" TIMESTAMP(3) NOT NULL,
    "exitedAt" TIMESTAMP(3),

    CONSTRAINT "SegmentMembership_pkey" PRIMARY KEY ("shop","segmentId","customerId","enteredAt")
);

-- CreateTable
CREATE TABLE "AnalyticsRun" (
    "shop" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "step" TEXT,
    "stepsDone" INTEGER NOT NULL DEFAULT 0,
    "stepsTotal" INTEGER NOT NULL DEFAULT 6,
    "stats" JSONB NOT NULL DEFAULT '{}',
    "error" TEXT,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "AnalyticsRun_pkey" PRIMARY KEY ("shop","id")
);

-- CreateIndex
CREATE INDEX "Visit_shop_localDate_idx" ON "Visit"("shop", "localDate");

-- CreateIndex
CREATE INDEX "MemberFeature_shop_pattern_idx" ON "MemberFeature"("shop", "pattern");

-- CreateIndex
CREATE INDEX "MemberFeature_shop_lastVisitOn_idx" ON "MemberFeature"("shop", "lastVisitOn");

-- CreateIndex
CREATE INDEX "ModelFit_shop_fittedAt_idx" ON "ModelFit"("shop", "fittedAt");

-- CreateIndex
CREATE INDEX "SegmentMembership_shop_segmentId_exitedAt_idx" ON "SegmentMembership"("shop", "segmentId", "exitedAt");

-- CreateIndex
CREATE INDEX "SegmentMembership_shop_customerId_idx" ON "SegmentMembership"("shop", "customerId");

-- CreateIndex
CREATE INDEX "AnalyticsRun_shop_startedAt_idx" ON "AnalyticsRun"("shop", "startedAt");

-- AddForeignKey
ALTER TABLE "SegmentMembership" ADD CONSTRAINT "SegmentMembership_shop_segmentId_fkey" FOREIGN KEY ("shop", "segmentId") REFERENCES "Segment"("shop", "id") ON DELETE CASCADE ON UPDATE CASCADE;
